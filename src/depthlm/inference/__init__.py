"""depthlm.inference"""
