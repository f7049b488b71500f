"""depthlm.training: TRL glue (SFT, GRPO), samples drawn on the fly, configs."""
