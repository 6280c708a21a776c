"""Hidden need from transaction data: features from campus-card records, screening rules and
scores, suggested lists with reasons, and their evaluation against a known hardship status.

The USTC rule (an automatic subsidy when monthly canteen spending is below 200 yuan) and the
UESTC "smart aid" system (four categories of signals mined from card records) are the models.
"""
