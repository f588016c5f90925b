package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventFilter;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Filtered global reads run in SQL, on indexes, and agree with {@link EventFilter#test}. */
class FilteredReadTest {

    @TempDir
    Path directory;

    @Test
    @DisplayName("the internal namespace is matched case-sensitively, as EventFilter does")
    void internalPrefixIsCaseSensitive() {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("case.db"))) {
            List<Event> all = new ArrayList<>();
            for (String type : List.of("estoria.snapshot", "Estoria.app", "ESTORIA.app", "estoria", "estoria-x", "estoria/x")) {
                all.addAll(store.appendStream(TypeId.newV4(type), List.of(WritableEvent.of("e", new byte[0]))));
            }
            EventFilter filter = EventFilter.applicationStreams();
            try (StreamIterator it = store.readAll(ReadAllOptions.defaults().filter(filter))) {
                List<Event> read = it.toList();
                assertThat(read).isEqualTo(all.stream().filter(filter::test).toList());
                assertThat(read).hasSize(5);
            }
        }
    }

    @Test
    @DisplayName("a type UTF-8 cannot hold matches nothing, alone or among other types")
    void unstorableFilterTypes() {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("bad.db"))) {
            Event stored = store.appendStream(TypeId.newV4("a?b"), List.of(WritableEvent.of("x?y", new byte[0]))).get(0);
            for (EventFilter filter : List.of(EventFilter.streamTypes("a\uD800b"), EventFilter.eventTypes("x\uD800y"))) {
                try (StreamIterator it = store.readAll(ReadAllOptions.defaults().filter(filter))) {
                    assertThat(it.hasNext()).isFalse();
                }
            }
            try (StreamIterator it = store.readAll(ReadAllOptions.defaults()
                    .filter(EventFilter.streamTypes("a\uD800b", "a?b")))) {
                assertThat(it.toList()).containsExactly(stored);
            }
        }
    }

    @Test
    @DisplayName("a read filtered by one stream or event type walks that type's index in position order")
    void filteredReadsUseIndexes() throws Exception {
        Path file = directory.resolve("plan.db");
        SqliteEventStore.open(file).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            String byStreamType = plan(c, "SELECT position FROM events WHERE position > 0 AND stream_type IN ('account') "
                    + "ORDER BY position ASC LIMIT -1");
            assertThat(byStreamType).contains("events_by_stream_type").doesNotContain("TEMP B-TREE");
            String byEventType = plan(c, "SELECT position FROM events WHERE position > 0 AND event_type IN ('opened') "
                    + "ORDER BY position ASC LIMIT -1");
            assertThat(byEventType).contains("events_by_event_type").doesNotContain("TEMP B-TREE");
        }
    }

    private static String plan(Connection c, String sql) throws Exception {
        StringBuilder plan = new StringBuilder();
        try (Statement s = c.createStatement(); ResultSet rows = s.executeQuery("EXPLAIN QUERY PLAN " + sql)) {
            while (rows.next()) {
                plan.append(rows.getString("detail")).append('\n');
            }
        }
        return plan.toString();
    }
}
