"""The local runtime behind `contentflow dev`: embedded AWS, HTTP gateway, stream pollers.

Each module mirrors one AWS service closely enough that the handlers in `functions/` run unchanged:
`lambdas` (loading a handler, its context), `gateway` (API Gateway HTTP API, payload 2.0),
`streams` (Lambda's DynamoDB stream event source mapping), `runtime` (wiring and lifetime).
Their loggers are named `local.*`: Powertools' `Logger(service="contentflow")` in the handlers
filters every record whose logger name contains "contentflow" out of the root handlers.
"""
