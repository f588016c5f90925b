package dev.estoria.aggregate;

import dev.estoria.EstoriaException;
import dev.estoria.typeid.TypeId;

/** No aggregate with this ID was ever saved, or its stream was deleted. */
public class AggregateNotFoundException extends EstoriaException {

    private final TypeId aggregateId;

    public AggregateNotFoundException(TypeId aggregateId) {
        super("aggregate not found: " + aggregateId);
        this.aggregateId = aggregateId;
    }

    /** The aggregate that does not exist. */
    public TypeId aggregateId() {
        return aggregateId;
    }
}
