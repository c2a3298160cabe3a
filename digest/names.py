"""Words around people's names that are not the name: what both the merge's name keys and the entity finder drop."""

# Courtesy titles dropped from a name: "Datuk Seri Anwar Ibrahim" -> "Anwar Ibrahim".
HONORIFICS = frozenset({
    "datuk", "dato", "datin", "seri", "sri", "tun", "toh", "puan", "tengku", "tunku", "tuan", "haji", "hajah", "dr",
    "barrister", "sir", "dame", "lord", "lady", "mr", "mrs", "ms", "prof", "professor", "yb", "shri", "smt", "engr",
    "justice", "advocate",
})
