"""zh-CN texts shoppers and staff read for status and reason codes."""

STATUS_TEXT = {
    "received": "已收到，排队识别中",
    "processing": "识别中",
    "approved": "积分成功",
    "needs_review": "人工审核中",
    "duplicate": "重复小票，未积分",
    "rejected": "未通过审核",
    "reversed": "积分已冲红",
}

REASON_TEXT = {
    "merchant_unknown": "未能识别为本商场商户",
    "merchant_low_confidence": "商户识别不确定",
    "merchant_inactive": "该商户暂不参与积分",
    "merchant_manual_review": "该商户小票需人工确认",
    "date_missing": "未识别到消费时间",
    "date_low_confidence": "消费时间识别不确定",
    "total_missing": "未识别到实付金额",
    "total_low_confidence": "金额识别不确定",
    "amount_not_positive": "金额无效",
    "date_in_future": "消费时间晚于当前时间",
    "date_probable_misread": "消费日期可能识别有误（同月同日换一年份即在积分有效期内）",
    "date_year_doubtful": "消费日期的年份可能识别有误，已按最近的同月同日填写，请核对",
    "date_year_inferred": "小票未打印年份（或年份无法辨认），已按上传日推断",
    "outside_validity_window": "已超过小票积分有效期",
    "possible_duplicate": "疑似重复小票",
    "similar_image": "与已上传小票图片高度相似",
    "duplicate_exact": "该图片已上传过",
    "duplicate_receipt_no": "该小票已积分（小票号相同）",
    "duplicate_claimed": "该小票已积分",
    "duplicate_paid": "已通过微信支付自动积分",
    "duplicate_receipt_credited": "该笔消费已通过小票积分",
    "processing_failed": "系统识别失败，转人工处理",
    "member_erased": "会员已申请删除个人信息，小票不再处理",
    # fraud signals (receipts/fraud.py): a person looks, nothing is refused for them
    "many_receipts_member_day": "同一天的消费小票较多，需人工核对",
    "many_receipts_store_day": "同一天在同一商户的小票较多，需人工核对",
    "claimed_by_other_member": "该小票已由其他会员提交",
    "image_screenshot": "图片疑似截图，请上传纸质小票的照片",
    "image_screen_photo": "图片疑似翻拍屏幕，请上传纸质小票的照片",
    "image_edited": "图片经过编辑软件处理，需人工核对",
    # points rules (points/engine.py)
    "merchant_excluded": "该商户不参与积分",
    "payment_excluded": "该支付方式不参与积分",
    "below_min_spend": "未达到最低消费金额",
    "daily_receipt_cap_reached": "已达每日积分小票数上限",
    "daily_points_cap_reached": "已达每日积分上限",
    # rejection reasons chosen by the service desk
    "duplicate": "重复小票",
    "unreadable": "小票无法辨认",
    "not_mall_store": "非本商场商户小票",
    "excluded_payment": "该支付方式不参与积分",
    "suspected_fraud": "疑似异常小票",
    "other": "其他原因",
}

# What the desk reads of a fraud signal, filled from its evidence (Receipt.signals).
SIGNAL_EVIDENCE = {
    "many_receipts_member_day": "该会员 {day} 的消费已提交 {count} 张小票（上限 {limit} 张）",
    "many_receipts_store_day": "该会员 {day} 在本商户的消费已提交 {count} 张小票（上限 {limit} 张）",
    "claimed_by_other_member": "同一小票已由会员 {member} 提交（记录 {receipt}，{status}）",
    "image_screenshot": "图片疑似手机截图：{format}，{size} 像素，{flat:.0%} 为纯色绘制区域",
    "image_screen_photo": "图片疑似翻拍屏幕：频谱中有像素网格或摩尔纹的周期峰（{peak}）",
    "image_edited": "图片元数据显示经编辑软件处理：{software}",
}

PAYMENT_TEXT = {
    "wechat": "微信支付",
    "alipay": "支付宝",
    "unionpay": "银联云闪付",
    "bank_card": "银行卡",
    "cash": "现金",
    "stored_value": "储值卡",
    "other": "其他",
}

DESK_REJECT_REASONS = (
    "duplicate",
    "unreadable",
    "not_mall_store",
    "outside_validity_window",
    "excluded_payment",
    "suspected_fraud",
    "other",
)


def reason_text(code: str) -> str:
    return REASON_TEXT.get(code, REASON_TEXT.get(code.split(":")[0], code))
