"""The operator's organisation: head office, the nine regional companies (CTKV), shopcodes, stores."""
