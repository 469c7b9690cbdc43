"""WeChat Pay 智慧商圈 (smart business district): payment and refund notifications, the
points-sync outbox back to WeChat Pay, and the fake WeChat Pay used in tests and the demo."""
