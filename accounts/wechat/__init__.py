"""WeChat's server API for the mini-program (sign-in and phone number), and a fake of it."""
