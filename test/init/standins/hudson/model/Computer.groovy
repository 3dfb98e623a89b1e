package hudson.model

/**
 * Stand-in of hudson.model.Computer: state flags a test sets. connect(false) starts a launch: from then on
 * the computer is connecting (Computer.isConnecting, SlaveComputer's launch future), still offline.
 */
class Computer {
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
