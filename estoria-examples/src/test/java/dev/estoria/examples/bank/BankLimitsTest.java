package dev.estoria.examples.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.typeid.TypeId;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The bank example at the limits of a long: overdrafts and balances never wrap around. */
class BankLimitsTest {

    private final InMemoryEventStore events = InMemoryEventStore.create();
    private final BankAccounts bank = new BankAccounts(events);

    @Test
    void aHugeWithdrawalFromAnOverdrawnAccountIsRefused() {
        UUID id = bank.open("mallory", 100);
        bank.withdraw(id, 5); // balance -5, within the limit of 100
        assertThatThrownBy(() -> bank.withdraw(id, Long.MAX_VALUE))
                .as("-5 - Long.MAX_VALUE is far below the overdraft limit")
                .isInstanceOf(BankException.class);
        assertThat(bank.get(id).balance()).isEqualTo(-5);
    }

    @Test
    void aDepositThatOverflowsTheBalanceIsRefused() {
        UUID id = bank.open("trent", 0);
        bank.deposit(id, Long.MAX_VALUE);
        assertThatThrownBy(() -> bank.deposit(id, 1)).isInstanceOf(BankException.class);
        assertThat(bank.get(id).balance()).as("the balance never wraps negative").isEqualTo(Long.MAX_VALUE);
        assertThat(events.readStream(TypeId.of("account", id)).toList()).hasSize(2);
    }
}
