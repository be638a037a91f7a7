"""The recipe that trains the embedded default model: corpus -> tokenizer -> model -> CTranslate2."""
