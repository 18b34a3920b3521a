"""Citizens' Jury and Assembly: fair stratified random selection of panels from a volunteer pool."""
