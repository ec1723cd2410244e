"""Sale events from Kafka into the landing folder (``inventory-optimization stream``): the event
contract (``events``), durable partitions (``partitions``), the consumer and the replay
producer. Kafka (confluent-kafka) is imported only by the consumer and the producer."""

from .events import CheckedBatch, EventContract, check_events

__all__ = ["CheckedBatch", "EventContract", "check_events"]
