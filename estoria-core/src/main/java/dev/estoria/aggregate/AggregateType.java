package dev.estoria.aggregate;

import dev.estoria.codec.Codec;
import dev.estoria.codec.CodecException;
import dev.estoria.eventstore.Event;
import dev.estoria.typeid.TypeId;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Everything a store needs to know about one kind of aggregate: its type name (the type of its
 * stream IDs), its initial state, its event types and how they change the state, how they are
 * encoded, and how old event shapes are upcast.
 *
 * <p>Event types are registered explicitly, by name or through the {@link EventType} annotation, and
 * hydration dispatches on the stored event type. A stored type that is not registered fails
 * hydration with {@link AggregateHydrationException} naming the type and the stream, unless {@link
 * Builder#skipUnknownEventTypes()} was chosen.
 *
 * <p>Immutable and thread-safe once built.
 *
 * @param <S> the state type; ideally an immutable record
 * @param <E> the common supertype of the aggregate's domain events; ideally a sealed interface
 */
public final class AggregateType<S, E> {

    private static final int MAX_UPCAST_STEPS = 32;

    private final String name;
    private final Class<E> eventClass;
    private final Function<UUID, S> initialState;
    private final BiFunction<S, E, S> evolve;
    private final Map<String, Class<? extends E>> classesByName;
    private final Map<Class<?>, String> namesByClass;
    private final Map<String, Upcaster> upcasters;
    private final boolean skipUnknown;
    private final Codec codec;

    private AggregateType(Builder<S, E> b) {
        this.name = b.name;
        this.eventClass = b.eventClass;
        this.initialState = b.initialState;
        this.evolve = b.evolve;
        this.classesByName = Map.copyOf(b.classesByName);
        this.namesByClass = Map.copyOf(b.namesByClass);
        this.upcasters = Map.copyOf(b.upcasters);
        this.skipUnknown = b.skipUnknown;
        this.codec = b.codec;
    }

    /** Aggregate type names starting with this are reserved for Estoria's own streams (snapshot streams). */
    public static final String RESERVED_PREFIX = "estoria.";

    /**
     * Starts describing an aggregate type.
     *
     * @param name the aggregate type name: the type of its stream IDs, so it must never change once
     *     streams exist; a valid {@link TypeId} type name, not starting with {@value
     *     #RESERVED_PREFIX}
     * @param eventClass the common supertype of its events
     * @param initialState the state of a new aggregate, given its UUID
     * @throws IllegalArgumentException if the name is invalid or reserved
     */
    public static <S, E> Builder<S, E> builder(String name, Class<E> eventClass, Function<UUID, S> initialState) {
        Objects.requireNonNull(name, "name");
        if (name.startsWith(RESERVED_PREFIX)) {
            // Estoria's own streams live there: an aggregate "estoria.snapshot.account" would share
            // the stream of the snapshots of "account" aggregates (EventStreamSnapshotStore).
            throw new IllegalArgumentException("invalid aggregate type '" + name + "': names starting with '"
                    + RESERVED_PREFIX + "' are reserved for Estoria's own streams");
        }
        return new Builder<>(name, eventClass, initialState);
    }

    /** The aggregate type name, which is the type of its stream IDs. */
    public String name() {
        return name;
    }

    /** The codec that encodes this aggregate's events (and, by default, its snapshots). */
    public Codec codec() {
        return codec;
    }

    /** The stream ID of the aggregate with the given UUID. */
    public TypeId streamId(UUID id) {
        return new TypeId(name, id);
    }

    /** The state of a new aggregate. */
    public S initialState(UUID id) {
        return Objects.requireNonNull(initialState.apply(id), "initial state of " + name + " must not be null");
    }

    /** A new aggregate: version 0, initial state, nothing recorded. */
    public Aggregate<S, E> newAggregate(UUID id) {
        Objects.requireNonNull(id, "id");
        return new Aggregate<>(this, streamId(id), initialState(id), 0);
    }

    /**
     * An aggregate rebuilt from known state at a known stored version, such as a snapshot or a cache
     * entry. Stores then apply the events after that version.
     */
    public Aggregate<S, E> restore(UUID id, S state, long version) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(state, "state");
        if (version < 0) {
            throw new IllegalArgumentException("version must not be negative, was " + version);
        }
        return new Aggregate<>(this, streamId(id), state, version);
    }

    /** Applies one event to a state; total for registered events. */
    S apply(S state, E event) {
        return Objects.requireNonNull(evolve.apply(state, event),
                () -> "applying " + event.getClass().getSimpleName() + " to " + name + " returned null state");
    }

    /**
     * The stored type name of a domain event.
     *
     * @throws IllegalArgumentException if the event's class is not registered
     */
    public String eventTypeOf(E event) {
        String type = namesByClass.get(event.getClass());
        if (type == null) {
            throw new IllegalArgumentException("event class " + event.getClass().getName()
                    + " is not registered with aggregate type " + name);
        }
        return type;
    }

    /**
     * Decodes a stored event into a domain event, after upcasting. Returns null for an unknown type
     * when unknown types are skipped.
     *
     * @throws AggregateHydrationException for an unknown type (unless skipped) or a payload that does
     *     not decode
     */
    E decode(Event stored) {
        RawEvent raw = new RawEvent(stored.type(), stored.data(), stored.contentType(), stored.metadata());
        int steps = 0;
        for (Upcaster upcaster = upcasters.get(raw.type()); upcaster != null; upcaster = upcasters.get(raw.type())) {
            if (++steps > MAX_UPCAST_STEPS) {
                throw new AggregateHydrationException(stored.streamId(), stored.streamVersion(),
                        "upcasting event type '" + stored.type() + "' did not settle after " + MAX_UPCAST_STEPS
                                + " steps; the upcasters form a cycle", null);
            }
            try {
                raw = Objects.requireNonNull(upcaster.upcast(raw), "upcaster returned null");
            } catch (RuntimeException e) {
                throw new AggregateHydrationException(stored.streamId(), stored.streamVersion(),
                        "upcasting event type '" + raw.type() + "' failed: " + e.getMessage(), e);
            }
        }
        Class<? extends E> target = classesByName.get(raw.type());
        if (target == null) {
            if (skipUnknown) {
                return null;
            }
            throw new AggregateHydrationException(stored.streamId(), stored.streamVersion(),
                    "unknown event type '" + raw.type() + "': it is not registered with aggregate type " + name, null);
        }
        E event;
        try {
            event = codec.decode(raw.data(), target);
        } catch (CodecException | IllegalArgumentException e) {
            throw new AggregateHydrationException(stored.streamId(), stored.streamVersion(),
                    "cannot decode event type '" + raw.type() + "' as " + target.getSimpleName() + ": " + e.getMessage(), e);
        }
        if (event == null) {
            // null means "skipped" to the caller: a codec must never make a stored event vanish.
            throw new AggregateHydrationException(stored.streamId(), stored.streamVersion(), "the codec decoded event"
                    + " type '" + raw.type() + "' as null, not a " + target.getSimpleName(), null);
        }
        return event;
    }

    /**
     * Builds an {@link AggregateType}.
     *
     * @param <S> the state type
     * @param <E> the event supertype
     */
    public static final class Builder<S, E> {
        private final String name;
        private final Class<E> eventClass;
        private final Function<UUID, S> initialState;
        private BiFunction<S, E, S> evolve;
        private final Map<String, Class<? extends E>> classesByName = new HashMap<>();
        private final Map<Class<?>, String> namesByClass = new HashMap<>();
        private final Map<String, Upcaster> upcasters = new HashMap<>();
        private boolean skipUnknown;
        private Codec codec;

        private Builder(String name, Class<E> eventClass, Function<UUID, S> initialState) {
            try {
                TypeId.validateTypeName(name);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid aggregate type: " + e.getMessage(), e);
            }
            this.name = name;
            this.eventClass = Objects.requireNonNull(eventClass, "eventClass");
            this.initialState = Objects.requireNonNull(initialState, "initialState");
        }

        /**
         * Registers an event class under the name in its {@link EventType} annotation.
         *
         * @throws IllegalArgumentException if the class has no annotation, or the name or class is
         *     already registered
         */
        public Builder<S, E> event(Class<? extends E> type) {
            EventType annotation = type.getAnnotation(EventType.class);
            if (annotation == null) {
                throw new IllegalArgumentException(type.getName()
                        + " has no @EventType annotation; annotate it or register it with event(name, class)");
            }
            return event(annotation.value(), type);
        }

        /**
         * Registers an event class under a stored type name.
         *
         * @throws IllegalArgumentException if the name is invalid, or the name or class is already
         *     registered
         */
        public Builder<S, E> event(String typeName, Class<? extends E> type) {
            try {
                TypeId.validateTypeName(typeName);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid event type: " + e.getMessage(), e);
            }
            if (!eventClass.isAssignableFrom(type)) {
                throw new IllegalArgumentException(type.getName() + " is not a " + eventClass.getName());
            }
            if (classesByName.containsKey(typeName)) {
                throw new IllegalArgumentException("event type '" + typeName + "' is already registered with "
                        + classesByName.get(typeName).getName());
            }
            if (namesByClass.containsKey(type)) {
                throw new IllegalArgumentException(type.getName() + " is already registered as '"
                        + namesByClass.get(type) + "'");
            }
            classesByName.put(typeName, type);
            namesByClass.put(type, typeName);
            return this;
        }

        /**
         * Sets the function that applies an event to the state. Without it, events must implement
         * {@link DomainEvent}.
         */
        public Builder<S, E> evolve(BiFunction<S, E, S> function) {
            this.evolve = Objects.requireNonNull(function, "function");
            return this;
        }

        /**
         * Registers an upcaster for events stored with the given type.
         *
         * @throws IllegalArgumentException if the type name is invalid, or an upcaster is already
         *     registered for it
         * @throws NullPointerException if an argument is null
         */
        public Builder<S, E> upcaster(String storedType, Upcaster upcaster) {
            Objects.requireNonNull(storedType, "storedType");
            try {
                TypeId.validateTypeName(storedType);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid stored event type for an upcaster: " + e.getMessage(), e);
            }
            if (upcasters.putIfAbsent(storedType, Objects.requireNonNull(upcaster, "upcaster")) != null) {
                throw new IllegalArgumentException("an upcaster for '" + storedType + "' is already registered");
            }
            return this;
        }

        /** Skips stored events of unregistered types during hydration instead of failing. */
        public Builder<S, E> skipUnknownEventTypes() {
            this.skipUnknown = true;
            return this;
        }

        /** Sets the codec of events and state; required. */
        public Builder<S, E> codec(Codec value) {
            this.codec = Objects.requireNonNull(value, "codec");
            return this;
        }

        /**
         * Builds the type.
         *
         * @throws IllegalStateException if no codec or no event was registered
         */
        @SuppressWarnings("unchecked")
        public AggregateType<S, E> build() {
            if (codec == null) {
                throw new IllegalStateException("aggregate type " + name + " needs a codec");
            }
            if (classesByName.isEmpty()) {
                throw new IllegalStateException("aggregate type " + name + " has no registered event types");
            }
            if (evolve == null) {
                evolve = (state, event) -> {
                    if (event instanceof DomainEvent<?> domainEvent) {
                        return ((DomainEvent<S>) domainEvent).applyTo(state);
                    }
                    throw new IllegalStateException(event.getClass().getName() + " does not implement DomainEvent and "
                            + "aggregate type " + name + " has no evolve function");
                };
            }
            return new AggregateType<>(this);
        }
    }
}
