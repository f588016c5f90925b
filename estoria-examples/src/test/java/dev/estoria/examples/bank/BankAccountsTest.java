package dev.estoria.examples.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.aggregate.AggregateNotFoundException;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.snapshot.EventStreamSnapshotStore;
import dev.estoria.snapshot.InMemorySnapshotStore;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class BankAccountsTest {

    private final InMemoryEventStore events = InMemoryEventStore.create();
    private final BankAccounts bank = new BankAccounts(events);

    @Test
    void openDepositWithdrawClose() {
        UUID id = bank.open("alice", 50_00);
        assertThat(bank.deposit(id, 100_00)).isEqualTo(100_00);
        assertThat(bank.withdraw(id, 30_00)).isEqualTo(70_00);
        assertThat(bank.get(id)).isEqualTo(new Account("alice", 70_00, 50_00, true));
        bank.withdraw(id, 70_00);
        bank.close(id, "moved abroad");
        assertThat(bank.get(id).open()).isFalse();

        List<Event> stream = events.readStream(TypeId.of("account", id)).toList();
        assertThat(stream).extracting(Event::type)
                .containsExactly("accountopened", "moneydeposited", "moneywithdrawn", "moneywithdrawn", "accountclosed");
        assertThat(stream).allSatisfy(e -> assertThat(e.contentType()).isEqualTo("application/json"));
        assertThat(new String(stream.get(1).data(), StandardCharsets.UTF_8)).isEqualTo("{\"amount\":10000}");
    }

    @Test
    void theOverdraftRuleHoldsAndRefusedCommandsRecordNothing() {
        UUID id = bank.open("bob", 20_00);
        bank.deposit(id, 10_00);
        assertThat(bank.withdraw(id, 30_00)).isEqualTo(-20_00);
        assertThatThrownBy(() -> bank.withdraw(id, 1)).isInstanceOf(BankException.class)
                .hasMessageContaining("overdraft limit of 2000");
        assertThatThrownBy(() -> bank.close(id, "done")).isInstanceOf(BankException.class).hasMessageContaining("zero");
        assertThatThrownBy(() -> bank.deposit(id, 0)).isInstanceOf(BankException.class);
        assertThat(events.readStream(TypeId.of("account", id)).toList()).hasSize(3);
    }

    @Test
    void closedAccountsTakeNoMoneyAndUnknownOnesAreNotFound() {
        UUID id = bank.open("carol", 0);
        bank.close(id, "unused");
        assertThatThrownBy(() -> bank.deposit(id, 5)).isInstanceOf(BankException.class).hasMessageContaining("not open");
        assertThatThrownBy(() -> bank.get(UUID.randomUUID())).isInstanceOf(AggregateNotFoundException.class);
        assertThatThrownBy(() -> bank.open(" ", 0)).isInstanceOf(BankException.class);
    }

    @Test
    void concurrentDepositsAllCountThroughConflictRetry() throws Exception {
        BankAccounts stacked = BankAccounts.withSnapshotsAndCache(events, InMemorySnapshotStore.create(), 10);
        UUID id = stacked.open("dave", 0);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new java.util.ArrayList<>();
            for (int t = 0; t < 8; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 25; i++) {
                        stacked.deposit(id, 1);
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(stacked.get(id).balance()).isEqualTo(200);
        assertThat(bank.get(id).balance()).as("a plain replay agrees").isEqualTo(200);
    }

    @Test
    void theFullStackWithEventStreamSnapshotsAgreesWithAPlainReplay() {
        BankAccounts stacked = BankAccounts.withSnapshotsAndCache(events, EventStreamSnapshotStore.keepLast(events, 1), 3);
        UUID id = stacked.open("erin", 10_00);
        for (int i = 1; i <= 10; i++) {
            stacked.deposit(id, i);
        }
        stacked.withdraw(id, 55 + 10_00);
        assertThat(stacked.get(id)).isEqualTo(bank.get(id));
        assertThat(stacked.get(id).balance()).isEqualTo(-10_00);
        BankAccounts coldCache = BankAccounts.withSnapshotsAndCache(events, EventStreamSnapshotStore.keepLast(events, 1), 3);
        assertThat(coldCache.get(id)).isEqualTo(bank.get(id));
    }
}
