package jenkins.model

import hudson.ExtensionList
import hudson.model.Node

/** Stand-in of jenkins.model.Jenkins: the singleton, its nodes, its clouds and its extension lists. */
class Jenkins {
    static Jenkins instance

    List<Node> nodes = []
    List<Object> clouds = []
    private final Map<Class, ExtensionList> lists = [:]

    static Jenkins get() { instance }

    /** One list per extension type, the same object on every call (Jenkins.java getExtensionList). */
    def <T> ExtensionList<T> getExtensionList(Class<T> type) {
        lists.computeIfAbsent(type) { new ExtensionList<T>() }
    }
}
