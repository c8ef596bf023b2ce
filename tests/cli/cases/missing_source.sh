"$PSB" list does-not-exist.img
