package hudson

/**
 * Stand-in of hudson.ExtensionList: a sorted list of components. add() stores the instance with ordinal 0
 * (ExtensionList.java 272-280, ExtensionComponent.java 56-58); the order is descending ordinal, then class
 * name (ExtensionComponent.java 89-129, for instances that are not Descriptors); remove(Object) drops the
 * component whose instance equals it (ExtensionList.java 203-245); get(Class) is the first instance of that
 * class (ExtensionList.java `get(Class)`).
 */
class ExtensionList<T> extends AbstractList<T> {
    private final List<Map> components = []

    /** How the real list is filled from @Extension(ordinal = …) classes at plugin load (test set-up only). */
    void addDiscovered(T instance, double ordinal) {
        components << [instance: instance, ordinal: ordinal]
        sortComponents()
    }

    @Override
    boolean add(T t) {
        addDiscovered(t, 0)
        return true
    }

    @Override
    boolean remove(Object o) {
        Map found = components.find { it.instance == o }
        return found != null && components.remove(found)
    }

    @Override
    T get(int index) { components[index].instance }

    @Override
    int size() { components.size() }

    def <U extends T> U get(Class<U> type) {
        (U) components.find { type.isInstance(it.instance) }?.instance
    }

    private void sortComponents() {
        components.sort { Map a, Map b ->
            b.ordinal <=> a.ordinal ?: a.instance.class.name <=> b.instance.class.name
        }
    }
}
