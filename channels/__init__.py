"""Earning channels other than photos and the desk: WeChat Pay 智慧商圈 (无感积分)."""
