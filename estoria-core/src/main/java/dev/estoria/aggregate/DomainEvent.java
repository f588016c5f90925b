package dev.estoria.aggregate;

/**
 * A domain event that knows how to change aggregate state.
 *
 * <p>{@link #applyTo} is total: a stored event is a fact, so applying it cannot fail. Validation
 * belongs in the command, before the event is recorded. Events that do not implement this interface
 * can still be used, with an {@linkplain AggregateType.Builder#evolve evolve function} instead.
 *
 * @param <S> the state type
 */
public interface DomainEvent<S> {

    /** Returns the state after this event; never throws for a valid state. */
    S applyTo(S state);
}
