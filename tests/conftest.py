"""Settings for the whole suite."""

from hypothesis import HealthCheck, settings

# The suite runs on small shared machines (2 cores, several suites at once): Hypothesis's
# "input generation is slow" health check then fails tests whose inputs are fine. It is
# about the machine, not the code; every property still runs all its examples.
settings.register_profile("hcs", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("hcs")
