package io.moestream.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.net.InetAddress;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.mock.env.MockEnvironment;

class StaticMembershipTest {

    @Test
    void theInstanceIdDefaultsToTheHostNameBelowWhatIsConfigured() throws Exception {
        MockEnvironment unset = new MockEnvironment();
        new InstanceId().postProcessEnvironment(unset, new SpringApplication());
        MockEnvironment set = new MockEnvironment().withProperty(InstanceId.PROPERTY, "expert-1");
        new InstanceId().postProcessEnvironment(set, new SpringApplication());

        assertThat(unset.getProperty(InstanceId.PROPERTY)).isEqualTo(InetAddress.getLocalHost().getHostName());
        assertThat(set.getProperty(InstanceId.PROPERTY)).isEqualTo("expert-1");
    }

    @Test
    void aConsumerGetsTheIdAndTheSessionTimeoutUnlessOneIsConfigured() {
        MockEnvironment environment = new MockEnvironment().withProperty(InstanceId.PROPERTY, "router-a");

        Map<String, Object> plain = StaticMembership.of(Map.of("group.id", "g"), environment);
        Map<String, Object> tuned = StaticMembership.of(Map.of("session.timeout.ms", 10_000), environment);

        assertThat(plain).containsEntry("group.id", "g").containsEntry("group.instance.id", "router-a")
                .containsEntry("session.timeout.ms", 30_000);
        assertThat(tuned).containsEntry("session.timeout.ms", 10_000);
    }

    @Test
    void anIdKafkaWouldRefuseIsRefusedByName() {
        MockEnvironment environment = new MockEnvironment().withProperty(InstanceId.PROPERTY, "pod 1/a");

        assertThatIllegalArgumentException().isThrownBy(() -> InstanceId.of(environment))
                .withMessageContaining("moe.instance-id 'pod 1/a'");
    }
}
