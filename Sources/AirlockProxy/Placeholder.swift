enum _PlaceholderAirlockProxy {}
