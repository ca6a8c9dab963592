"""The app process: FastAPI, channels, action webhook, knowledge retrieval."""
