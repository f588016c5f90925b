package dev.estoria.eventstore;

import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Selects events of a global read by stream type and event type. Stores evaluate it themselves (with
 * an index, in SQL stores), so a filtered read costs what it returns, not what it skips.
 *
 * <p>An event passes when its stream type is in {@code streamTypes} (or that set is empty), its
 * event type is in {@code eventTypes} (or that set is empty), and — unless {@code
 * includeInternalStreams} — its stream type does not start with {@value #INTERNAL_PREFIX}, the
 * namespace of Estoria's own streams such as snapshots.
 *
 * <p>A filtered read keeps every {@link GlobalReader} guarantee: ascending positions, a fixed
 * frontier, a stable prefix. {@code count} counts the events that pass.
 *
 * @param streamTypes stream types to keep; empty keeps all
 * @param eventTypes event types to keep; empty keeps all
 * @param includeInternalStreams whether streams in the {@value #INTERNAL_PREFIX} namespace pass
 */
public record EventFilter(Set<String> streamTypes, Set<String> eventTypes, boolean includeInternalStreams) {

    /** Stream types with this prefix belong to Estoria itself (snapshots, rebuilds). */
    public static final String INTERNAL_PREFIX = "estoria.";

    private static final EventFilter ALL = new EventFilter(Set.of(), Set.of(), true);
    private static final EventFilter APPLICATION = new EventFilter(Set.of(), Set.of(), false);

    /** @throws NullPointerException naming the set, if a set is or holds null */
    public EventFilter {
        // Sorted copies give stable SQL and readable toString output. (Set.copyOf would not keep the
        // order: its iteration order is randomized per JVM.)
        streamTypes = sortedCopy(streamTypes, "streamTypes");
        eventTypes = sortedCopy(eventTypes, "eventTypes");
    }

    private static Set<String> sortedCopy(Collection<String> types, String name) {
        Objects.requireNonNull(types, name);
        TreeSet<String> sorted = new TreeSet<>();
        for (String type : types) {
            sorted.add(Objects.requireNonNull(type, () -> name + " must not contain null"));
        }
        return sorted.isEmpty() ? Set.of() : Collections.unmodifiableSet(new LinkedHashSet<>(sorted));
    }

    /** Every event, internal streams included: the default of {@link ReadAllOptions}. */
    public static EventFilter all() {
        return ALL;
    }

    /** Every event of the application's own streams: everything but the internal namespace. */
    public static EventFilter applicationStreams() {
        return APPLICATION;
    }

    /**
     * Events of streams of the given types (internal streams excluded unless named). A type named
     * twice counts once.
     */
    public static EventFilter streamTypes(String... types) {
        return new EventFilter(sortedCopy(Arrays.asList(Objects.requireNonNull(types, "types")), "streamTypes"), Set.of(), false);
    }

    /** Events of the given event types, in application streams. A type named twice counts once. */
    public static EventFilter eventTypes(String... types) {
        return new EventFilter(Set.of(), sortedCopy(Arrays.asList(Objects.requireNonNull(types, "types")), "eventTypes"), false);
    }

    /** Returns a copy that also requires one of the given event types. */
    public EventFilter withEventTypes(Set<String> types) {
        return new EventFilter(streamTypes, types, includeInternalStreams);
    }

    /** Returns a copy that also requires one of the given stream types. */
    public EventFilter withStreamTypes(Set<String> types) {
        return new EventFilter(types, eventTypes, includeInternalStreams);
    }

    /** Whether this filter lets every event through. */
    public boolean isAll() {
        return streamTypes.isEmpty() && eventTypes.isEmpty() && includeInternalStreams;
    }

    /** Whether the event passes; stores that filter in their own query must agree with this. */
    public boolean test(Event event) {
        String streamType = event.streamId().type();
        if (!includeInternalStreams && streamType.startsWith(INTERNAL_PREFIX) && !streamTypes.contains(streamType)) {
            return false;
        }
        return (streamTypes.isEmpty() || streamTypes.contains(streamType))
                && (eventTypes.isEmpty() || eventTypes.contains(event.type()));
    }
}
