"""The one text normaliser of 银发助手, shared by the Rasa process and the app.

It imports only jieba, pypinyin and PyYAML, so it loads in both environments (``.venv-rasa``
for Rasa's NLU pipeline, ``.venv`` for retrieval and the actions). There is no copy of it
anywhere else: NLU and retrieval see the same repaired text.

* :mod:`textnorm.normalize` — cleaning, dialect words, pinyin and homophone repairs;
  its parts are :mod:`textnorm.loaders`, :mod:`textnorm.cleaning`, :mod:`textnorm.analyser`,
  :mod:`textnorm.phonetics`, :mod:`textnorm.repair` and :mod:`textnorm.numerals` (the one
  Chinese-numeral table, :data:`~textnorm.numerals.CN_DIGITS`, and :func:`~textnorm.numerals.cn_number`);
* :mod:`textnorm.vocabulary` — the knowledge vocabulary those repairs match against;
* :mod:`textnorm.need` — the main need of a long, rambling message;
* :mod:`textnorm.signals` — scam, stop and question signals in a message.
"""
