"""Person resolution: link person records across forces and courts into people.

The pipeline, one module per step (the model itself is data: linkage/settings.yaml)::

    records = build_records(mentions)            # records.py: one row per record key
    ft = build_features(records)                 # features.py: codes, sounds, nickname keys
    cand = block(ft, settings)                   # blocking.py: union of rules, capped blocks
    levels = compare(ft, settings, cand.left, cand.right)   # compare.py: vectorised levels
    model = train(ft, settings, levels, cand.rules, cand.rule_names)  # model.py: EM, u, TF
    weight = score(model, settings, levels, tf)  # model.py: Fellegi-Sunter match weights
    # context.py (partner evidence), decide.py (thresholds, hard rules, steward),
    # cluster.py (guarded components, stable ids), golden.py, explain.py, search.py

``linkage.run.resolve(data_dir)`` runs it all over staging and writes data_dir/linkage/.
"""
