package hudson.model

/** Stand-in of hudson.model.LoadStatistics: only the snapshot a strategy reads (LoadStatistics.java 400-470). */
class LoadStatistics {
    static class LoadStatisticsSnapshot {
        int queueLength
        int availableExecutors
        int connectingExecutors
    }
}
