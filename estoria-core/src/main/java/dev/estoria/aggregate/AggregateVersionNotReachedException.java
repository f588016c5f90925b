package dev.estoria.aggregate;

import dev.estoria.EstoriaException;
import dev.estoria.typeid.TypeId;

/**
 * A load asked for a version the aggregate has not reached. Loading up to a version past the tip is
 * an error rather than a silent load of the tip.
 */
public class AggregateVersionNotReachedException extends EstoriaException {

    private final TypeId aggregateId;
    private final long requestedVersion;
    private final long latestVersion;

    public AggregateVersionNotReachedException(TypeId aggregateId, long requestedVersion, long latestVersion) {
        super("aggregate " + aggregateId + " has not reached version " + requestedVersion + "; its latest version is "
                + latestVersion);
        this.aggregateId = aggregateId;
        this.requestedVersion = requestedVersion;
        this.latestVersion = latestVersion;
    }

    public TypeId aggregateId() {
        return aggregateId;
    }

    public long requestedVersion() {
        return requestedVersion;
    }

    public long latestVersion() {
        return latestVersion;
    }
}
