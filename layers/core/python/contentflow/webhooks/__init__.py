"""Webhooks: operators subscribe HTTPS URLs to ContentFlow's events; each delivery is signed.

Domains put events on the stage's EventBridge bus (`events.publish`); the bus's rule sends them to
the `webhook_events` queue, whose consumer (`webhook_delivery`) signs and posts each to the
subscriptions of its type. SQS redelivers what failed, with growing delays, and moves what still
fails to the queue's DLQ, which /api/dlq lists and requeues like any other.
"""
