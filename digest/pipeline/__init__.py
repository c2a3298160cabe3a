"""The pipeline: load the documents, gather (parse, merge, classify), build, and the cache between builds."""
