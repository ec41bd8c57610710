"""AWS adapters: S3 now; DynamoDB, SQS, SNS, EventBridge, Step Functions, Bedrock later."""
