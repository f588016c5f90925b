package dev.estoria.aggregate;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the stored event type of a domain event class, for registration with {@link
 * AggregateType.Builder#event(Class)}. The name is stored with every event and must never change
 * once events of the type exist; rename a class freely, but keep its name here.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface EventType {

    /** The event type name; a valid {@link dev.estoria.typeid.TypeId} type name. */
    String value();
}
