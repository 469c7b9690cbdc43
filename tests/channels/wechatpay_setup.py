"""Names the WeChat Pay tests share (the mall's merchant number and mini-program)."""

MALL_MCHID = "1230000109"
APPID = "wxd678efh567hg6787"
UNIQLO_MCHID = "1900000101"  # m001 优衣库 in the demo mall
WECHAT_API = "https://api.mch.weixin.qq.com"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"  # the shopper fixture's, signed in to the mini-program
