package dev.estoria.sqlite;

import dev.estoria.projection.Checkpoint;
import dev.estoria.projection.ProjectionId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The SQL of the {@code estoria_checkpoints} table, shared by the checkpoint store and the runner. */
final class CheckpointTable {

    private CheckpointTable() {
    }

    static final String LOAD = "SELECT position, updated_us FROM estoria_checkpoints WHERE projection = ? AND version = ?";
    static final String LIST = "SELECT projection, version, position, updated_us FROM estoria_checkpoints "
            + "ORDER BY projection, version";
    /**
     * Last write wins for the position; {@code updated_us} takes the clock's time but always moves
     * past the stored one, so it strictly increases per row even within one microsecond or when
     * the clock steps back.
     */
    private static final String SAVE = "INSERT INTO estoria_checkpoints (projection, version, position, updated_us) "
            + "VALUES (?, ?, ?, ?) ON CONFLICT (projection, version) DO UPDATE SET position = excluded.position, "
            + "updated_us = max(excluded.updated_us, estoria_checkpoints.updated_us + 1)";
    private static final String DELETE = "DELETE FROM estoria_checkpoints WHERE projection = ? AND version = ?";

    static Optional<Checkpoint> load(PreparedStatement load, ProjectionId id) throws SQLException {
        load.setString(1, id.name());
        load.setInt(2, id.version());
        try (ResultSet rows = load.executeQuery()) {
            if (!rows.next()) {
                return Optional.empty();
            }
            return Optional.of(new Checkpoint(id, rows.getLong(1), Encoding.fromMicros(rows.getLong(2))));
        }
    }

    static Optional<Checkpoint> load(Connection connection, ProjectionId id) throws SQLException {
        try (PreparedStatement load = connection.prepareStatement(LOAD)) {
            return load(load, id);
        }
    }

    static List<Checkpoint> list(PreparedStatement list) throws SQLException {
        List<Checkpoint> all = new ArrayList<>();
        try (ResultSet rows = list.executeQuery()) {
            while (rows.next()) {
                all.add(new Checkpoint(ProjectionId.of(rows.getString(1), rows.getInt(2)), rows.getLong(3),
                        Encoding.fromMicros(rows.getLong(4))));
            }
        }
        return all;
    }

    static void save(Connection connection, ProjectionId id, long position, Clock clock) throws SQLException {
        try (PreparedStatement save = connection.prepareStatement(SAVE)) {
            save.setString(1, id.name());
            save.setInt(2, id.version());
            save.setLong(3, position);
            save.setLong(4, Encoding.toMicros(clock.instant()));
            save.executeUpdate();
        }
    }

    static boolean delete(Connection connection, ProjectionId id) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement(DELETE)) {
            delete.setString(1, id.name());
            delete.setInt(2, id.version());
            return delete.executeUpdate() > 0;
        }
    }
}
