"""depthlm.cli"""
