package dev.estoria.projection;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A checkpoint store that passes every call on and records the positions saved, in order; tests
 * override a call to make it fail.
 */
class RecordingCheckpointStore implements CheckpointStore {

    private final CheckpointStore inner;
    final List<Long> saved = Collections.synchronizedList(new ArrayList<>());

    RecordingCheckpointStore(CheckpointStore inner) {
        this.inner = inner;
    }

    int saves() {
        return saved.size();
    }

    @Override
    public Optional<Checkpoint> load(ProjectionId id) {
        return inner.load(id);
    }

    @Override
    public void save(ProjectionId id, long position) {
        saved.add(position);
        inner.save(id, position);
    }

    @Override
    public boolean delete(ProjectionId id) {
        return inner.delete(id);
    }

    @Override
    public List<Checkpoint> list() {
        return inner.list();
    }
}
