"""The way in: files → cleaned text → structure-aware chunks → embeddings → store."""
