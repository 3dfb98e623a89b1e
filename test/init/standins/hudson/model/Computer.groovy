package hudson.model

import java.util.concurrent.Executor

/**
 * Stand-in of hudson.model.Computer: state flags a test sets. connect(false) starts a launch: from then on
 * the computer is connecting (Computer.isConnecting, SlaveComputer's launch future), still offline.
 * threadPoolForRemoting is core's shared pool (Computer.java `threadPoolForRemoting`); here it runs each task
 * at once, so a test sees a background launch finished when the round returns.
 */
class Computer {
    static final Executor threadPoolForRemoting = { Runnable task -> task.run() } as Executor

    boolean offline = true
    boolean connecting = false
    boolean temporarilyOffline = false
    boolean idle = true
    int connects = 0

    void connect(boolean forceReconnect) {
        connects++
        connecting = true
    }
}
