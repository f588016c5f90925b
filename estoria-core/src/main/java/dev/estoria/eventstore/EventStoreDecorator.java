package dev.estoria.eventstore;

import dev.estoria.typeid.TypeId;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Base class for event store decorators (instrumentation, notifications, policies) that keep the
 * capabilities of the store they wrap.
 *
 * <p>A subclass overrides the operations it decorates; everything else is forwarded to the inner
 * store. The class itself implements every capability, so callers never use it directly: {@link
 * #asEventStore()} returns a view that implements {@link EventStore} plus exactly those of {@link
 * GlobalReader}, {@link StreamDeleter}, {@link StreamLister}, {@link AppendNotifier}, {@link
 * MultiStreamWriter} and {@link AutoCloseable} that the
 * inner store implements. {@code instanceof} checks on the view therefore tell the truth, and a
 * decorated store can be decorated again, through its view or (with the same result) the decorator
 * object itself.
 *
 * <p>{@link MultiStreamWriter} is kept only by a decorator that either leaves appends alone or
 * decorates {@link #appendStreams} too: a subclass that overrides {@link #appendStream} alone (to
 * validate or enrich events, say) would otherwise see multi-stream appends pass by it. Its view
 * then lacks the capability, and calling {@link #appendStreams} on it directly fails with {@link
 * UnsupportedOperationException}.
 */
public abstract class EventStoreDecorator implements EventStore, GlobalReader, StreamDeleter, StreamLister,
        AppendNotifier, MultiStreamWriter, AutoCloseable {

    /** The optional capabilities a decorated view keeps when the inner store has them. */
    public static final List<Class<?>> CAPABILITIES =
            List.of(GlobalReader.class, StreamDeleter.class, StreamLister.class, AppendNotifier.class,
                    MultiStreamWriter.class, AutoCloseable.class);

    /** The decorated store. */
    protected final EventStore inner;

    protected EventStoreDecorator(EventStore inner) {
        this.inner = Objects.requireNonNull(inner, "inner");
    }

    /**
     * This decorator as an event store with exactly the inner store's capabilities. Every call on it
     * runs this decorator's method.
     */
    public final EventStore asEventStore() {
        List<Class<?>> interfaces = new ArrayList<>();
        interfaces.add(EventStore.class);
        for (Class<?> capability : CAPABILITIES) {
            if (has(inner, capability) && (capability != MultiStreamWriter.class || passesMultiStreamAppends())) {
                interfaces.add(capability);
            }
        }
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "toString" -> toString();
                    default -> method.invoke(this, args);
                };
            }
            try {
                return method.invoke(this, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (EventStore) Proxy.newProxyInstance(EventStore.class.getClassLoader(),
                interfaces.toArray(Class<?>[]::new), handler);
    }

    /**
     * Whether a store has a capability. A decorator object (rather than its view) claims every
     * capability, so it is asked about the store it wraps.
     */
    private static boolean has(EventStore store, Class<?> capability) {
        if (store instanceof EventStoreDecorator decorator) {
            return (capability != MultiStreamWriter.class || decorator.passesMultiStreamAppends())
                    && has(decorator.inner, capability);
        }
        return capability.isInstance(store);
    }

    /** Whether this decorator sees every append: it decorates multi-stream appends, or no append at all. */
    private boolean passesMultiStreamAppends() {
        return overrides("appendStreams", List.class)
                || !overrides("appendStream", TypeId.class, List.class, AppendStreamOptions.class);
    }

    private boolean overrides(String method, Class<?>... parameters) {
        try {
            return getClass().getMethod(method, parameters).getDeclaringClass() != EventStoreDecorator.class;
        } catch (NoSuchMethodException e) {
            throw new AssertionError("EventStoreDecorator declares " + method, e);
        }
    }

    @Override
    public List<Event> appendStream(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options) {
        return inner.appendStream(streamId, events, options);
    }

    @Override
    public StreamIterator readStream(TypeId streamId, ReadStreamOptions options) {
        return inner.readStream(streamId, options);
    }

    @Override
    public StreamIterator readAll(ReadAllOptions options) {
        return ((GlobalReader) inner).readAll(options);
    }

    /**
     * The inner store's head. A subclass that changes which events {@link #readAll} yields (a
     * filter, say) overrides this too, to answer the newest position its own {@code readAll} would
     * yield; one that only observes reads (timing, counting) keeps it, and with it the inner
     * store's fast answer rather than {@link GlobalReader#headPosition()}'s default, a whole read.
     */
    @Override
    public long headPosition() {
        return ((GlobalReader) inner).headPosition();
    }

    /**
     * Forwards to the inner store.
     *
     * @throws UnsupportedOperationException if this decorator overrides {@link #appendStream} but
     *     not this method, whose appends would pass it by
     */
    @Override
    public List<List<Event>> appendStreams(List<StreamAppend> appends) {
        if (!passesMultiStreamAppends()) {
            throw new UnsupportedOperationException(getClass().getName() + " decorates appendStream but not"
                    + " appendStreams, so it offers no multi-stream appends; override appendStreams to offer them");
        }
        return ((MultiStreamWriter) inner).appendStreams(appends);
    }

    @Override
    public void deleteStream(TypeId streamId, DeleteStreamOptions options) {
        ((StreamDeleter) inner).deleteStream(streamId, options);
    }

    @Override
    public List<StreamInfo> listStreams() {
        return ((StreamLister) inner).listStreams();
    }

    @Override
    public AutoCloseable onAppend(Runnable listener) {
        return ((AppendNotifier) inner).onAppend(listener);
    }

    @Override
    public void close() throws Exception {
        if (inner instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + inner + "]";
    }
}
