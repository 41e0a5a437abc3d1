"""Learned signals: small logistic models over honest features, trained on the ``tune`` split (and the
shared dev set) by ``python -m assistant.signals.train``, stored as JSON beside this package and read at
run time without scikit-learn (a weighted sum and a sigmoid)."""
