package hudson.model

/** Stand-in of hudson.model.Label: an atom; matches(Node) is true when the node carries it (Label.java 187). */
class Label {
    final String name

    Label(String name) { this.name = name }

    boolean matches(Node n) { n.labelString.split(/\s+/).contains(name) }

    @Override
    String toString() { name }
}
