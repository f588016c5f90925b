package dev.estoria.aggregate;

import dev.estoria.EstoriaException;
import dev.estoria.typeid.TypeId;

/**
 * A save failed <em>after</em> its events were durably appended (for instance an after-save hook
 * threw). The events are stored: do not retry the command; discard the aggregate and load it again.
 *
 * <p>Every aggregate store decorator passes this exception on unchanged or as a cause, so {@link
 * #isIn(Throwable)} finds it however many layers the failure went through.
 */
public class EventsAppendedException extends EstoriaException {

    private final TypeId aggregateId;
    private final long savedVersion;

    public EventsAppendedException(TypeId aggregateId, long savedVersion, String problem, Throwable cause) {
        super("events of aggregate " + aggregateId + " were appended (now at version " + savedVersion
                + "), but the save then failed: " + problem, cause);
        this.aggregateId = aggregateId;
        this.savedVersion = savedVersion;
    }

    public TypeId aggregateId() {
        return aggregateId;
    }

    /** The version the stored aggregate reached with the appended events. */
    public long savedVersion() {
        return savedVersion;
    }

    /** Whether {@code failure} or any of its causes is an {@link EventsAppendedException}. */
    public static boolean isIn(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof EventsAppendedException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}
