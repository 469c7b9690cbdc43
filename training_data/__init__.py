"""Labelled receipts: the learning loop the service runs, and the offline tools.

- ``training_data.loop``: what the running service uses. Labelled samples per store (ops
  uploads, desk corrections), the judge that compares a reading with its label, the
  scores it adds up to, template tuning and suggestion for the ops pages.
- Offline tools, run by hand: ``synth`` (generated Chinese receipts), ``evaluate`` (the
  evaluator CLI), ``calibrate`` (fits field confidences), ``registry`` (registry files),
  ``ocr_cache`` (OCR rows kept between evaluations) and ``label_fixes/`` (reviewed label
  corrections). They may use the loop; the loop never imports them.
"""
