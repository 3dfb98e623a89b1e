package hudson.model

/** Stand-in of hudson.model.Node: a name, executors, labels and its computer. */
abstract class Node {
    String nodeName
    int numExecutors = 1
    String labelString = ''
    Computer computer

    Computer toComputer() { computer }
}
