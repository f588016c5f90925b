package dev.estoria.cli;

import dev.estoria.eventstore.EventFilter;
import dev.estoria.typeid.TypeId;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * The {@code --stream-type} and {@code --event-type} options of the commands that read the global
 * log. They become an {@link EventFilter} that the store evaluates itself: an event passes when its
 * stream type is one of the given stream types (if any are given) and its event type one of the
 * given event types (if any are given).
 */
final class FilterOptions {

    @Option(names = "--stream-type", paramLabel = "T",
            description = "Only events of streams of type T, such as account; repeat for more types.")
    List<String> streamTypes = new ArrayList<>();

    @Option(names = "--event-type", paramLabel = "T",
            description = "Only events of type T, such as moneydeposited; repeat for more types.")
    List<String> eventTypes = new ArrayList<>();

    /**
     * The filter, with Estoria's own streams (the {@value EventFilter#INTERNAL_PREFIX} namespace,
     * such as snapshots) kept or left out; a stream type named with {@code --stream-type} always
     * passes.
     *
     * @throws BadInputException if a type is not a valid type name
     */
    EventFilter filter(boolean includeInternalStreams) {
        return new EventFilter(checked("--stream-type", streamTypes), checked("--event-type", eventTypes),
                includeInternalStreams);
    }

    private static Set<String> checked(String option, List<String> types) {
        for (String type : types) {
            try {
                TypeId.validateTypeName(type);
            } catch (IllegalArgumentException e) {
                throw new BadInputException(option + ": " + e.getMessage());
            }
        }
        return new LinkedHashSet<>(types);
    }
}
