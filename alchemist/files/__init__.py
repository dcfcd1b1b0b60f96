"""Every byte that comes from a user or from disk is read here, and only here: one module per concern.

    bounds          the limits every reader applies: a file's size; a plain tree's depth, items, bytes, numbers
    safe_pickle     pickles that can only be plain data: opcode scan, an unpickler that refuses every global
    signing         the key ring that signs our .pkl files (HMAC-SHA256)
    migrations      format and layout versions, the envelope, one migration per version step
    container       the .pkl session file: header, compression, signature; encode, decode, unpack
    json_tree       plain data <-> a JSON tree (no NaN, no bytes), and the diff-friendly writer
    strict_json     strict parsing of JSON from a user; the JSON session file
    kinds           which kind of file this is (ours signed or not, JSON, NREL ALchemist), from its outside
    child           decoding a file we did not sign, in a separate process with memory, CPU and time limits
    sheets          an .xlsx workbook's sheet names and a sheet's size, counted before any cell is read
    tables          uploaded CSV and Excel tables of experiments
    mapping         which file column goes where in the experiment table (proposed, checked, remembered)
    numbers         numbers as labs write them: decimal point or comma, thousands separators
    levels          values of a categorical column that are not levels, and their recoding
    variable_files  variable lists as JSON or CSV, ours and ALchemist's
    nrel            a session file of NREL's ALchemist 0.3/0.4, mapped to a new session
    templates       template files: a campaign's set-up (variables, settings) as JSON

The decoding path (bounds, safe_pickle, signing, migrations, container, json_tree, strict_json,
kinds, child) uses the standard library only: the child process imports it in milliseconds,
without numpy, pandas or scikit-learn. tables, variable_files, nrel and templates build library objects and
import what they need. This package imports none of its modules by itself.
"""
