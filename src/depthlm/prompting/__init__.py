"""depthlm.prompting"""
