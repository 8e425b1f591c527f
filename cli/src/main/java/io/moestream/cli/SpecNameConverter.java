package io.moestream.cli;

import io.moestream.generate.Preset;
import io.moestream.generate.Scale;
import io.moestream.kernels.KernelBackend;
import io.moestream.routing.Options;
import io.moestream.routing.Policy;
import io.moestream.routing.SpecName;
import java.util.Arrays;
import java.util.Iterator;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Parses an option value by its spec name ({@code token-drop}, not {@code TOKEN_DROP}) through
 * {@link SpecName}, so a bad value fails while parsing with the list of valid ones, and lists those
 * names for {@code ${COMPLETION-CANDIDATES}} in the help. Picocli creates converters from a class
 * with no arguments, hence one small subclass per enum.
 */
abstract class SpecNameConverter<E extends Enum<E>> implements ITypeConverter<E>, Iterable<String> {

    private final Class<E> type;
    private final String option;

    SpecNameConverter(Class<E> type, String option) {
        this.type = type;
        this.option = option;
    }

    @Override
    public E convert(String text) {
        try {
            return SpecName.parse(type, option, text);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }

    @Override
    public Iterator<String> iterator() {
        return Arrays.stream(type.getEnumConstants()).<String>map(SpecName::of).iterator();
    }

    static final class PolicyName extends SpecNameConverter<Policy> {
        PolicyName() {
            super(Policy.class, "policy");
        }
    }

    static final class ScoreFunctionName extends SpecNameConverter<Options.ScoreFunction> {
        ScoreFunctionName() {
            super(Options.ScoreFunction.class, "score-function");
        }
    }

    static final class RoundingName extends SpecNameConverter<Options.Rounding> {
        RoundingName() {
            super(Options.Rounding.class, "rounding");
        }
    }

    static final class WeightsName extends SpecNameConverter<Options.Weights> {
        WeightsName() {
            super(Options.Weights.class, "weights");
        }
    }

    static final class DropOrderName extends SpecNameConverter<Options.DropOrder> {
        DropOrderName() {
            super(Options.DropOrder.class, "drop-order");
        }
    }

    static final class MetricName extends SpecNameConverter<Options.Metric> {
        MetricName() {
            super(Options.Metric.class, "metric");
        }
    }

    static final class ModeName extends SpecNameConverter<Options.RerouteMode> {
        ModeName() {
            super(Options.RerouteMode.class, "mode");
        }
    }

    static final class IrCapacityName extends SpecNameConverter<Options.IrCapacity> {
        IrCapacityName() {
            super(Options.IrCapacity.class, "ir-capacity");
        }
    }

    static final class CapacityScopeName extends SpecNameConverter<Options.CapacityScope> {
        CapacityScopeName() {
            super(Options.CapacityScope.class, "capacity-scope");
        }
    }

    static final class PresetName extends SpecNameConverter<Preset> {
        PresetName() {
            super(Preset.class, "preset");
        }
    }

    static final class ScaleName extends SpecNameConverter<Scale> {
        ScaleName() {
            super(Scale.class, "scale");
        }
    }

    static final class BackendName extends SpecNameConverter<KernelBackend> {
        BackendName() {
            super(KernelBackend.class, "backend");
        }
    }
}
