"""baro: a feedback line for displaced people in Mali."""
