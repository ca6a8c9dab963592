"""Rasa side: training data, custom NLU components and the strict tracker store."""
