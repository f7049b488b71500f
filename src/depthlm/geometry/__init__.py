"""depthlm.geometry"""
